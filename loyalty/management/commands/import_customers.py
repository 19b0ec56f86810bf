from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Import customers (with balances, expiry dates and tiers) from a CSV or XLSX file, now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="The merchant's slug")
        parser.add_argument("file", help="A CSV or XLSX file whose first row names the columns (phone, name, email, ...)")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report what would happen; write nothing")

    def handle(self, *args, **options):
        from accounts.errors import ValidationError
        from accounts.models import Merchant
        from loyalty.services.imports import MAX_BYTES, file_format, import_execute

        merchant = Merchant.objects.select_related("program").filter(slug=options["merchant"]).first()
        if merchant is None:
            raise CommandError(f"No merchant {options['merchant']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError("The file is larger than 50 MB.")
        data = path.read_bytes()
        try:
            result = import_execute(merchant=merchant, fmt=file_format(name=path.name, data=data), data=data, dry_run=options["dry_run"],
                                    progress=lambda done, rows: self.stderr.write(f"\r{done}/{rows}", ending=""))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stderr.write("")
        prefix = "dry run: would have " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}rows {result['rows']}, created {result['created']}, updated {result['updated']}, "
                          f"balances {result['balances']}, errors {len(result['errors'])}")
        for error in result["errors"][:100]:
            self.stdout.write(f"row {error['row']}, {error['field']}: {error['message']}")
