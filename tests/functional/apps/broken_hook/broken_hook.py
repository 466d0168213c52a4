print("the app itself is fine")
