"""Run results: the JSON result schema and writer, log parsers for each upstream's log format,
and the kit's own per-step log line. See docs/results-schema.md."""
from .schema import SCHEMA_VERSION, ResultError, load_result, validate_result
from .writer import write_result, step_time_stats
from .parsers import LogParseError, TrainLog, parse_train_log, parse_eval_log, TRAIN_FORMATS, EVAL_FORMATS
from .logline import StepLogger, format_step, format_metric

__all__ = ["SCHEMA_VERSION", "ResultError", "load_result", "validate_result", "write_result",
           "step_time_stats", "LogParseError", "TrainLog", "parse_train_log", "parse_eval_log",
           "TRAIN_FORMATS", "EVAL_FORMATS", "StepLogger", "format_step", "format_metric"]
