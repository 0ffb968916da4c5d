print("httpserver-provider: under construction")
