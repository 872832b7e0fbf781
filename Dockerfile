# The engine image used by docker-compose for the API and the stream workers.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY schemas ./schemas
RUN rm engine/migrations && cp -r schemas/sql engine/migrations \
    && pip install --no-cache-dir .
RUN useradd --system --uid 10001 nuanxin
USER nuanxin
ENTRYPOINT ["nuanxin"]
