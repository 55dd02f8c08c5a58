"""AI voice calls: the call sender, the TwiML conversation, Twilio's callbacks and the call records."""
