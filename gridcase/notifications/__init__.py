"""The in-app inbox: escalations, hand-downs, decisions and 督办 reach the people concerned."""
