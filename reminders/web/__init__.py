"""The web application: the public folder, signing up, preferences and leaving."""
