"""bedrud-bot: a LiveKit participant that holds an E2EE meeting's key."""
