# The pipeline image: official Airflow (same version and Python as requirements.txt)
# plus this project's pinned requirements and code.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/city/
RUN pip install --no-cache-dir -r /opt/city/requirements.txt -c /opt/city/constraints.txt
COPY --chown=airflow:0 ingest /opt/city/ingest
COPY --chown=airflow:0 config /opt/city/config
COPY --chown=airflow:0 expectations /opt/city/expectations
COPY --chown=airflow:0 dbt_project /opt/city/dbt_project
ENV PYTHONPATH=/opt/city
