"""python -m {{ cookiecutter.package_name }}.client: the same as the installed command."""

from .cli import main

if __name__ == "__main__":
    main()
