"""Date formats of our own (settings.FORMAT_MODULE_PATH), looked up before Django's.

Only zh_Hans has a module: Django's writes the month with a leading zero ("01月3日"), which
no one writes by hand. English keeps Django's formats.
"""
