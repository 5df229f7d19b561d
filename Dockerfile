# The portal's image: one image, a process per role (web, mail dispatcher, reminders).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=wsgi.py \
    MAIL_FLUSH_AFTER_REQUEST=0 UPLOAD_FOLDER=/data/uploads
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home portal && mkdir -p /data/uploads /app/instance && chown -R portal /data /app/instance
USER portal
EXPOSE 8000
# The web role; compose overrides the command for the other roles.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
