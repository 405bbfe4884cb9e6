"""Intake channels (受理渠道) beyond the app's own people: the other city systems that report
cases (Open311 clients: the 12345 hotline platform, a WeChat mini-program's back end …), and
what their requests carried beyond the case (the reporter's contact, kept encrypted)."""
