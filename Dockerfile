FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

WORKDIR /app
# Pango, HarfBuzz and a font for WeasyPrint, which prints the session brief.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements-pip.lock requirements.lock ./
COPY therapy ./therapy
COPY clients ./clients
COPY worksheets ./worksheets
COPY manage.py ./
RUN pip install --require-hashes -r requirements-pip.lock \
    && pip install --require-hashes -r requirements.lock \
    && useradd --system --uid 1000 --home /app app \
    && SECRET_KEY=collectstatic-only-0123456789abcdefghijklmnopqrstuvwxyz ALLOWED_HOSTS=build \
       FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXJlYWwta2U= \
       FIELD_LOOKUP_KEY=collectstatic-only-not-a-real-lookup-key \
       STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && chown -R app /app

USER app
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "therapy.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
