"""The after-sales models (delivery, annual review, service requests and the requests' audit
history) now belong to the servicing app, which takes them over with their tables in
servicing 0001: drop them from this app's migration state. Nothing in the database
changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0006_import_models_to_spreadsheets'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='DeliveryTick'),
                migrations.DeleteModel(name='Delivery'),
                migrations.DeleteModel(name='AnnualReview'),
                migrations.DeleteModel(name='HistoricalServiceRequest'),
                migrations.DeleteModel(name='ServiceRequestDocument'),
                migrations.DeleteModel(name='ServiceRequestStatusChange'),
                migrations.DeleteModel(name='ServiceRequest'),
            ],
            database_operations=[],
        ),
    ]
