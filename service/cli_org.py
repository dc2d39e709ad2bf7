"""``branchflow branches|groups|people …``: the organisation from the command line (an admin's work, run as
the service itself)."""
from __future__ import annotations

import json

import click


def _run(action):
    """Run ``action(svc, uow, actor)`` as the system; a refusal is the command's error message naming the field."""
    from .cli import _services
    from .domain.errors import BranchflowError
    from .flows.actors import Actor

    svc = _services()
    try:
        with svc.uow() as uow:
            return action(svc, uow, Actor.system())
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")


def _lines(rows) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


def install(main: click.Group, users: click.Group) -> None:
    """Add the organisation commands to the CLI."""
    from .flows import org

    @main.group()
    def branches() -> None:
        """Branches (党支部): code and Chinese name."""

    @branches.command("list")
    def branches_list() -> None:
        """Every branch with its numbers of groups and people (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.branches(uow)))

    @branches.command("add")
    @click.argument("code")
    @click.argument("name")
    def branches_add(code: str, name: str) -> None:
        """Add branch CODE called NAME (机关一支部)."""
        _run(lambda svc, uow, actor: org.add_branch(uow, actor, code, name))
        click.echo(f"added branch {code}")

    @branches.command("rename")
    @click.argument("code")
    @click.argument("name")
    def branches_rename(code: str, name: str) -> None:
        """Give branch CODE the name NAME."""
        _run(lambda svc, uow, actor: org.rename_branch(uow, actor, code, name))
        click.echo(f"renamed branch {code}")

    @main.group()
    def groups() -> None:
        """Party groups (党小组): name, branch, leader, members."""

    @groups.command("list")
    @click.option("--branch", default=None)
    def groups_list(branch: str | None) -> None:
        """Party groups (of one branch) with leader and members (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.groups(uow, branch)))

    @groups.command("add")
    @click.argument("branch")
    @click.argument("name")
    @click.option("--leader", default=None, help="the leader's account (a member of the branch; joins the group)")
    def groups_add(branch: str, name: str, leader: str | None) -> None:
        """Set up party group NAME in BRANCH."""
        row = _run(lambda svc, uow, actor: org.add_group(uow, actor, branch, name, leader).id)
        click.echo(f"added group {row}")

    @groups.command("leader")
    @click.argument("group_id", type=int)
    @click.argument("leader")
    def groups_leader(group_id: int, leader: str) -> None:
        """Make LEADER the leader of group GROUP_ID (they join it)."""
        _run(lambda svc, uow, actor: org.update_group(svc, uow, actor, group_id, {"leader": leader}))
        click.echo(f"{leader} leads group {group_id}")

    @main.group()
    def people() -> None:
        """People: branch, party group, roles."""

    @people.command("list")
    @click.option("--branch", default=None)
    @click.option("--group", "group_id", type=int, default=None)
    def people_list(branch: str | None, group_id: int | None) -> None:
        """People of a branch or group with their roles (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.people(uow, actor, branch, group_id)))

    @people.command("move")
    @click.argument("name")
    @click.option("--branch", default=None, help="the new branch (their branch roles move with them)")
    @click.option("--group", "group_id", type=int, default=None, help="the new party group")
    def people_move(name: str, branch: str | None, group_id: int | None) -> None:
        """Move NAME to another branch and/or party group; their open personal member duties go back to the
        branch committee."""
        changes = {k: v for k, v in (("branch", branch), ("group_id", group_id)) if v is not None}
        if not changes:
            raise click.UsageError("give --branch and/or --group")
        _run(lambda svc, uow, actor: org.update_person(svc, uow, actor, name, changes))
        click.echo(f"moved {name}")

    @people.command("roles")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, help="ROLE or ROLE@BRANCH; repeat; replaces their roles")
    def people_roles(name: str, roles: tuple[str, ...]) -> None:
        """Replace NAME's roles (``--role member@jg1 --role branch_committee@jg1``)."""
        grants = [{"role": r.split("@")[0], "branch": r.split("@")[1] if "@" in r else None} for r in roles]
        _run(lambda svc, uow, actor: org.update_person(svc, uow, actor, name, {"roles": grants}))
        click.echo(f"roles of {name} set")
