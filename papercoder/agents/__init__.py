"""The agents: planner, analyst, coder (and later repairer). Each is a prompt file, a pydantic
output and one function."""
