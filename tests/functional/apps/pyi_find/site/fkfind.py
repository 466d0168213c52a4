WHERE = "site"
