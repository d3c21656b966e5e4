# For platforms that build images (Fly.io, Railway, Cloud Run, Kubernetes...). Heroku and Render
# use the Procfile and render.yaml instead; all three start the same gunicorn line.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    PORT=8000 \
    INSTANCE_PATH=/app/instance

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# The app writes only to its instance folder (compressed static files); it runs as a user
# that owns that folder and nothing else.
RUN useradd --system --uid 10001 --no-create-home lab \
    && mkdir -p /app/instance && chown lab /app/instance
USER lab

EXPOSE 8000
# Before the first start, and after each upgrade, run the Procfile's release line:
#   docker run --rm --env-file .env IMAGE sh -c "flask --app wsgi db upgrade && flask --app wsgi seed-demo"
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--access-logfile", "-", "wsgi:app"]
