# StoreLens dashboard on port 8501, installed the way the README installs it.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY dashboard ./dashboard
COPY sample_data ./sample_data
RUN python -m pip install --no-cache-dir .
ENV STORELENS_DB=/data/storelens.duckdb \
    HF_HUB_OFFLINE=1
VOLUME /data
EXPOSE 8501
# Inside a container 127.0.0.1 is unreachable from the host: listen on every interface, behind the password
# (docker run -e STORELENS_PASSWORD=...; without one the server refuses to start).
CMD ["storelens", "demo", "--port", "8501", "--address", "0.0.0.0"]
