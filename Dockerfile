# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=dealerops.settings.production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY dealerops dealerops
COPY channels channels
COPY inventory inventory
COPY customers customers
COPY pricing pricing
COPY finance finance
COPY datahub datahub
COPY templates templates
COPY manage.py gunicorn.conf.py ./
# Editable, so BASE_DIR stays /app (templates/, locale) rather than site-packages.
RUN pip install --no-cache-dir -e . \
 && SECRET_KEY=collectstatic-only DATABASE_URL=postgres://unused/unused python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 dealerops \
 && mkdir /exports && chown dealerops /exports
USER dealerops
EXPOSE 8000
# Workers, threads and timeout: gunicorn.conf.py.
CMD ["gunicorn", "dealerops.wsgi"]
