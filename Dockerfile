# syntax=docker/dockerfile:1
# One image for every process kind; the command picks it:
#   docker run crm serve customer|credit|ownership|complaints|notifications|gateway
# Configured by environment: MONGO_URL, AMQP_URL, JWT_SECRET, CRM_ENV, SUBGRAPHS (gateway).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Dependencies first, so a code-only change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels crm \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/crm crm
USER crm
WORKDIR /home/crm
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["crm"]
CMD ["serve", "customer"]
