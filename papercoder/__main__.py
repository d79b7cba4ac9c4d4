from papercoder.cli import main

main()
