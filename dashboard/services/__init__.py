"""What the pages ask for, one module per domain: the session's database and filters (session), sales, data,
upload, sentiment, the sentiment model, background jobs, explanations; cache holds every st.cache_*. No SQL here: every
query is in engine, every import goes through engine.ingest. Pages import the domain modules; this package also
offers their names flat."""

from . import (
    background,
    cache,
    data,
    display,
    explain,
    sales,
    sentiment,
    sentiment_model,
    session,
    upload,
)
from .background import (
    JOB_TEXT,
    Job,
    JobBusyError,
    JobRegistry,
    cancel_job,
    current_job,
    job_progress_text,
    job_title,
    jobs,
    latest_job,
    no_job_running,
    start_job,
)
from .data import TABLES, browse, count_rows, table_csv
from .display import duration, first_text, one_line, plain
from .explain import (
    DRIVER_SAMPLE_SIZES,
    Explained,
    ExplainUnavailable,
    driver_period,
    driver_review_counts,
    driver_reviews,
    driver_table,
    drivers,
    explain_review_row,
    explanation,
    review_caption,
    review_option_label,
    top_drivers,
)
from .sales import (
    FREQ_LABELS,
    kpi_delta,
    kpi_value,
    kpis,
    revenue_by_category,
    top_products,
)
from .segments import (
    RISK_BAND_NAMES,
    RISK_BANDS,
    SEGMENT_JOB,
    CustomerDetail,
    churn_sentence,
    customer_detail,
    customer_options,
    members,
    members_csv,
    segment_customers,
    segment_names,
    segment_table,
    segments_availability,
    segments_job_outcome,
    segments_report,
    segments_version,
    start_segmenting,
)
from .sentiment import (
    SENTIMENT_ALL,
    SENTIMENT_FREQS,
    Coverage,
    ShiftAlerts,
    review_heading,
    review_periods,
    review_table,
    sentiment_by_period,
    sentiment_categories,
    sentiment_combined,
    sentiment_coverage,
    sentiment_review_count,
    sentiment_reviews,
    sentiment_shift_history,
    sentiment_shifts,
    shift_alerts,
    shift_method,
    shift_sentence,
)
from .sentiment_model import (
    SENTIMENT_LABELS,
    VERSION_COLUMNS,
    job_outcome,
    model_details,
    per_class_table,
    score_new_reviews_in_background,
    sentiment_activate,
    sentiment_active_version,
    sentiment_delete,
    sentiment_metrics,
    sentiment_min_reviews,
    sentiment_training_data,
    sentiment_version,
    sentiment_versions,
    start_scoring,
    start_training,
    version_rows,
)
from .session import (
    PRESETS,
    Filters,
    categories,
    data_version,
    date_bounds,
    db_path,
    default_preset,
    ensure_demo,
    filters,
    page_session,
    preset_range,
    set_filters,
    store,
)
from .upload import (
    KINDS,
    NONE_CHOICE,
    ImportItem,
    ImportResult,
    IngestError,
    canonical_columns,
    detect_upload,
    header_choices,
    import_files,
    kind_can_be_chosen,
    mapped_header,
    preview,
    rejected_csv,
    rejected_rows,
    save_upload,
    uploads,
    user_mapping,
)

__all__ = [
    # modules
    "background", "cache", "data", "display", "explain", "sales", "segments", "sentiment", "sentiment_model", "session",
    "upload",
    # session
    "Filters", "PRESETS", "db_path", "store", "page_session", "data_version", "ensure_demo", "filters",
    "set_filters", "default_preset", "preset_range", "date_bounds", "categories",
    # display
    "plain", "first_text", "one_line", "duration",
    # sales
    "FREQ_LABELS", "kpis", "revenue_by_category", "top_products", "kpi_value", "kpi_delta",
    # data
    "TABLES", "browse", "count_rows", "table_csv",
    # upload
    "KINDS", "NONE_CHOICE", "IngestError", "ImportItem", "ImportResult", "save_upload", "detect_upload",
    "kind_can_be_chosen", "preview", "canonical_columns", "header_choices", "mapped_header", "user_mapping",
    "import_files", "uploads", "rejected_rows", "rejected_csv",
    # jobs
    "JOB_TEXT", "job_title", "job_progress_text", "Job", "JobBusyError", "JobRegistry", "jobs", "current_job",
    "latest_job", "cancel_job",
    "start_job", "no_job_running",
    # sentiment model
    "SENTIMENT_LABELS", "sentiment_version", "sentiment_active_version", "sentiment_training_data",
    "sentiment_metrics", "sentiment_versions", "sentiment_activate", "sentiment_delete", "sentiment_min_reviews",
    "per_class_table", "model_details", "VERSION_COLUMNS", "version_rows",
    "job_outcome", "start_training", "start_scoring",
    "score_new_reviews_in_background",
    # sentiment
    "SENTIMENT_FREQS", "SENTIMENT_ALL", "Coverage", "sentiment_coverage", "sentiment_by_period",
    "sentiment_combined", "sentiment_categories", "sentiment_shifts", "sentiment_shift_history",
    "sentiment_reviews", "sentiment_review_count", "shift_sentence", "ShiftAlerts", "shift_alerts",
    "shift_method", "review_periods", "review_heading", "review_table",
    # segments
    "SEGMENT_JOB", "RISK_BANDS", "RISK_BAND_NAMES", "CustomerDetail", "segments_availability", "segments_version",
    "segments_report", "segment_names", "segment_customers", "segment_table", "customer_options", "customer_detail",
    "members", "members_csv", "churn_sentence", "start_segmenting", "segments_job_outcome",
    # explain
    "ExplainUnavailable", "Explained", "DRIVER_SAMPLE_SIZES", "explanation", "explain_review_row",
    "review_option_label", "review_caption", "driver_review_counts", "driver_period", "drivers", "top_drivers",
    "driver_table", "driver_reviews",
]
