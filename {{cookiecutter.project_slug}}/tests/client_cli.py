"""Run `{{ cookiecutter.project_slug }}-client` in-process, as a user would from a shell."""

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from {{ cookiecutter.package_name }}.client.cli import cli


class ClientCLI:
    """The client run in-process against url, with a config folder of its own and any other
    environment variables given."""

    def __init__(self, url: str, config_home: Path, env: dict[str, str] | None = None) -> None:
        self.url = url
        self.config_home = config_home
        self.env = env or {}

    @property
    def credentials(self) -> Path:
        return self.config_home / "{{ cookiecutter.project_slug }}" / "credentials.json"

    def __call__(self, *args: str, input: str | None = None) -> Result:
        """Run one command; whatever happens, it ends in an exit status, not an exception."""
        env = {"API_URL": self.url, "XDG_CONFIG_HOME": str(self.config_home), **self.env}
        result = CliRunner().invoke(cli, list(args), input=input, env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        return result

    def json(self, *args: str) -> Any:
        """Run a command that must succeed and return what it printed."""
        result = self(*args)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)
