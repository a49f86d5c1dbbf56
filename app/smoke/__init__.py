"""Post-deployment smoke tests: `todochat smoke --url URL` walks a deployed service as a throwaway user would.

`steps` holds what is checked, one function per step; `runner` times them, always cleans up and reports; the
CLI (`app.smoke.cli`) prints the report and turns it into an exit code.
"""
