/** Row shapes as stored; column names kept. Times are epoch milliseconds. */

export interface PluginRow {
  key: string;
  name: string;
  type: string;
  description: string;
  /** JSON object: the plugin's default parameters. */
  parameters_json: string;
  /** JSON array of the ColumnDefinitions the plugin needs in a training set (`OUTCOME`, …). */
  needed_columns_json: string;
  /** The key answers prescription requests (OnlineReport.prescribes); 0/1 on SQLite. */
  prescribes: boolean | number;
  first_seen_ms: number;
  last_seen_ms: number;
}

export interface ProjectRow {
  id: number;
  name: string;
  description: string;
  status: string;
  error: string;
  request_id: string | null;
  /** JSON array of the plugin keys the project targets. */
  plugin_keys_json: string;
  /** JSON object: plugin key → parameters given by the consumer. */
  parameters_json: string;
  /** JSON object: plugin key → additional info given by the consumer. */
  additional_info_json: string;
  /** The case id column asked for at creation ('' = detect). */
  requested_case_id_column: string;
  holdout_fraction: number;
  raw_blob_id: string;
  /** Null until preprocessing succeeded. */
  preprocessed_ms: number | null;
  /** The replica preprocessing the project (claim); null when none. */
  preprocessing_replica: string | null;
  training_blob_id: string | null;
  holdout_blob_id: string | null;
  rows: number | null;
  training_rows: number | null;
  holdout_rows: number | null;
  cases: number | null;
  /** JSON array: the header. */
  columns_json: string | null;
  /** The case id column used ('' = none). */
  case_id_column: string | null;
  /** Preprocessing progress: data rows read so far. */
  progress_rows: number;
  /** Preprocessing progress: bytes of the stored file read so far. */
  progress_bytes: number;
  /** JSON: the event-log definition as requested; null for a request without one. */
  requested_definition_json: string | null;
  /** JSON: the effective event-log definition (given + inferred); null until known. */
  effective_definition_json: string | null;
  /** Training cases with OUTCOME 1; null until preprocessing counted them, or without OUTCOME. */
  positive_cases: number | null;
  /** Training cases with TREATMENT 1; null until preprocessing counted them, or without TREATMENT. */
  treated_cases: number | null;
  /** The project this one was created from (trained again); null for one made from a dataset. */
  source_project_id: number | null;
  created_ms: number;
  updated_ms: number;
}

export interface MembershipRow {
  /** The protocol's plugin_id. */
  id: number;
  project_id: number;
  plugin_key: string;
  status: string;
  model_name: string;
  error: string;
  /** JSON object sent as TrainingData.parameters. */
  parameters_json: string;
  /** JSON object sent as TrainingData.additional_info. */
  additional_info_json: string;
  /** When the current phase runs out of time (epoch ms); null once finished. */
  deadline_ms: number | null;
  /** The model stored with ModelService.UploadModel; null when the plugin keeps it itself. */
  model_blob_id: string | null;
  /** The name the stored model was uploaded under; ModelName must repeat it. */
  model_upload_name: string | null;
  /** A TRAINED membership answers new prescription jobs (SetPluginServing); 0/1 on SQLite. */
  serving: boolean | number;
  created_ms: number;
  updated_ms: number;
}

export interface EventRow {
  id: number;
  project_id: number;
  /** Null for a project-level event. */
  membership_id: number | null;
  plugin_key: string;
  project_status: string;
  plugin_status: string | null;
  detail: string;
  created_ms: number;
}

export interface BlobRow {
  /** Prefix tells the kind: `raw_` inline dataset, `ds_` upload, `td_` training, `ho_` holdout. */
  id: string;
  file_name: string;
  size_bytes: number;
  /** Lower-case hex SHA-256 of the content; '' when not computed. */
  sha256: string;
  /** False while being written; incomplete blobs are never read. */
  complete: boolean;
  created_ms: number;
}

export interface PrescriptionJobRow {
  /** The protocol's job_id. */
  id: string;
  project_id: number;
  request_id: string | null;
  /** PREPARING, RUNNING, DONE, ERROR. */
  status: string;
  error: string;
  raw_blob_id: string;
  /** The normalized running-cases set; null while PREPARING. */
  cases_blob_id: string | null;
  cases: number;
  /** The replica preparing the job (claim); null when none. */
  preparing_replica: string | null;
  created_ms: number;
  updated_ms: number;
  finished_ms: number | null;
}

export interface JobCaseRow {
  job_id: string;
  /** Position in the running-cases set, from 0. */
  ordinal: number;
  case_id: string;
}

export interface PrescriptionRequestRow {
  /** The protocol's request_id. */
  id: string;
  job_id: string;
  membership_id: number;
  plugin_key: string;
  /** WAITING, RUNNING, DONE, ERROR, TIMED_OUT, NOT_SERVING. */
  status: string;
  detail: string;
  cases_done: number;
  /** When the plugin's part runs out of time (epoch ms); null once finished. */
  deadline_ms: number | null;
  first_delivered_ms: number | null;
  claim_replica: string | null;
  claim_expires_ms: number | null;
  created_ms: number;
  updated_ms: number;
}

export interface PrescriptionResultRow {
  request_id: string;
  /** `JobCaseRow.ordinal` of the case. */
  case_ordinal: number;
  type: string;
  /** JSON of the google.protobuf.Value; `null` for no prescription. */
  output_json: string;
  detail: string;
  /** JSON object: Prescription.model. */
  model_json: string;
}
