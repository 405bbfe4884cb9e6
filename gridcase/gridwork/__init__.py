"""The grid worker's own work beyond cases (网格员日常工作): patrols (巡查) first."""
