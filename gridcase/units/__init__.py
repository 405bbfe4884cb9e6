"""Units cases are dispatched to (职能部门、站所、专业调委会): what they are, what they handle,
their time limits, and their import (DESIGN §2, "Units")."""
