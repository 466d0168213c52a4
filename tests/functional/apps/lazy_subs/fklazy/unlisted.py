NAME = "unlisted"
