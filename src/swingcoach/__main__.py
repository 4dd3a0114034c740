from swingcoach.cli.app import main

main()
