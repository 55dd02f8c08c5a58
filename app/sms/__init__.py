"""SMS: texts to shoppers (recovery texts, links and codes promised on a call) and their delivery."""
