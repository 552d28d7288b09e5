"""A small project app to invite people into: teams, and who is in each with which role."""
