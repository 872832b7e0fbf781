"""`nuanxin`: the command line, assembled from one module per subject."""

from __future__ import annotations

import typer

from engine.cli import bench, chaos, engine, keys, merchants, programmes, stack

app = typer.Typer(no_args_is_help=True, help="Nuanxin voucher engine.")


def _group(name: str, help_text: str) -> typer.Typer:
    group = typer.Typer(no_args_is_help=True, help=help_text)
    app.add_typer(group, name=name)
    return group


stack_app = _group("stack", "The local Redis, PostgreSQL and broker.")
stack_app.command("up")(stack.stack_up)
stack_app.command("down")(stack.stack_down)
stack_app.command("status")(stack.stack_status)
app.command()(stack.prepare)

for command in (engine.api, engine.stream, engine.up, engine.demo, engine.reconcile):
    app.command()(command)
app.command()(engine.schemas)
app.command()(bench.bench)
app.command()(chaos.chaos)

workers_app = _group("workers", "Worker profiles.")
workers_app.command("import")(programmes.workers_import)
lottery_app = _group("lottery", "Lottery draws.")
lottery_app.command("draw")(programmes.lottery_draw)
lottery_app.command("verify")(programmes.lottery_verify)

codes_app = _group("codes", "Voucher codes.")
codes_app.command("verify")(merchants.codes_verify)
ledger_app = _group("ledger", "The merchants' ledger.")
ledger_app.command("verify")(merchants.ledger_verify)
watch_app = _group("watch", "The cash-out watch.")
watch_app.command("rebuild")(merchants.watch_rebuild)

keys_app = _group("keys", "Code-signing, worker-token and event keys.")
keys_app.command("rotate")(keys.keys_rotate)
keys_app.command("retire")(keys.keys_retire)
app.command("keys-init")(keys.keys_init)

if __name__ == "__main__":
    app()
