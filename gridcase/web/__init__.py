"""Server-rendered pages for grid workers, coordinators and the command centre."""
