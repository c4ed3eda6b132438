print("touchpoint")
