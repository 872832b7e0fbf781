# The engine image used by docker-compose for the API and the stream workers.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY schemas ./schemas
RUN rm engine/migrations && cp -r schemas/sql engine/migrations \
    && pip install --no-cache-dir .
RUN useradd --system --uid 10001 nuanxin \
    && mkdir -p /var/lib/nuanxin && chown nuanxin /var/lib/nuanxin
# The one folder a process writes (faust's table folder); the rest may be read-only.
ENV NUANXIN_STATE_DIR=/var/lib/nuanxin
USER nuanxin
ENTRYPOINT ["nuanxin"]
