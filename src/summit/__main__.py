from summit.manage import main

main()
