"""What the tests share beyond fixtures: the fixture web server, its sites, waiting on a condition."""
