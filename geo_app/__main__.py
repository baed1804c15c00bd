from geo_app.cli import main

raise SystemExit(main())
