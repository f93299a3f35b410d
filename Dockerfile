# The pipeline image: official Airflow (same version and Python as requirements.txt)
# plus this project's pinned requirements and code.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/city/
# The image installs into the airflow user's ~/.local (PIP_USER): dbt lands in
# /home/airflow/.local/bin, on PATH, not beside sys.executable (pipeline/dbt_runner.py looks in both).
RUN pip install --no-cache-dir -r /opt/city/requirements.txt -c /opt/city/constraints.txt \
 && dbt --version
COPY --chown=airflow:0 ingest /opt/city/ingest
COPY --chown=airflow:0 pipeline /opt/city/pipeline
COPY --chown=airflow:0 sandbox /opt/city/sandbox
COPY --chown=airflow:0 config /opt/city/config
COPY --chown=airflow:0 expectations /opt/city/expectations
COPY --chown=airflow:0 dbt_project /opt/city/dbt_project
COPY --chown=airflow:0 dags /opt/airflow/dags
ENV PYTHONPATH=/opt/city
