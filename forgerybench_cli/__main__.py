from forgerybench_cli.app import main

main()
