"""Every health score and month names the rating bands it was rated with. The scores and months
of before are rated with version 1 (the legacy floors): the column is added with that default,
which fills the existing rows without an UPDATE (so the triggers that keep closed months
unchanged are neither fired nor bypassed), and the default is dropped again. The check that the
rating follows the fixed floors becomes the check that a dealer is rated exactly when it has a
composite: a rating by shares depends on the peers, which a row's check cannot read."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0017_rating_bands'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='healthscore',
            name='health_score_rating_follows_composite',
        ),
        migrations.AddField(
            model_name='healthmonth',
            name='rating_bands',
            field=models.ForeignKey(default=1, on_delete=django.db.models.deletion.PROTECT, to='channels.ratingbands', verbose_name='rating bands'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='healthscore',
            name='rating_bands',
            field=models.ForeignKey(default=1, on_delete=django.db.models.deletion.PROTECT, to='channels.ratingbands', verbose_name='rating bands'),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='healthscore',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('composite__isnull', True), ('rating', '')), models.Q(('composite__isnull', False), models.Q(('rating', ''), _negated=True)), _connector='OR'), name='health_score_rated_when_composite', violation_error_message='A dealer is rated exactly when it has a composite score.'),
        ),
    ]
