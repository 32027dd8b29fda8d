"""``lingqu user create``."""

from __future__ import annotations

import typer


def register(groups: dict) -> None:
    user = groups["user"]

    @user.command("create")
    def create(
        username: str = typer.Option(..., "--username"),
        role: str = typer.Option(..., "--role", help="regulator | enterprise | institution | admin"),
        password: str = typer.Option(..., "--password", prompt=True, hide_input=True, confirmation_prompt=True),
        display_name: str = typer.Option("", "--name"),
        city: str = typer.Option("", "--city", help="regulator scope: a city (深圳 / 440300); empty = the province"),
        uscc: str = typer.Option("", "--uscc", help="enterprise scope: its USCC"),
        institution_id: int | None = typer.Option(None, "--institution-id", help="institution scope"),
    ) -> None:
        """Create a user with a role and a scope (password hashed with argon2)."""
        import getpass

        from lingqu.auth.service import create_user
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            create_user(session, username=username, password=password, role=role, display_name=display_name,
                        city_code=city, uscc=uscc, institution_id=institution_id, actor=f"cli:{getpass.getuser()}")
        typer.echo(f"已创建用户 / user created: {username} ({role})")

    @user.command("token")
    def token(
        username: str = typer.Option(..., "--username"),
        name: str = typer.Option("", "--name", help="what the token is for"),
    ) -> None:
        """Issue an API token for a user (printed once; send it as `Authorization: Bearer TOKEN`)."""
        import getpass

        from lingqu.auth.service import issue_api_token
        from lingqu.db.engine import unit_of_work

        with unit_of_work() as session:
            value = issue_api_token(session, username, name, actor=f"cli:{getpass.getuser()}")
        typer.echo(value)
