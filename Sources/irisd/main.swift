print("irisd: not yet")
