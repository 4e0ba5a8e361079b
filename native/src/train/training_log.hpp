// log.csv of a training run: one header line, then one row per epoch.
//
//   VAE: epoch,step,loss,recon,kl,test_loss,test_recon,test_kl,test_loss_mu,seconds,eval_seconds
//   GAN: epoch,step,d_loss,g_loss,d_real,d_fake,test_d_real,seconds,eval_seconds
//
// A VAE or GAN run with a classifier appends fd,classes_covered,kl_uniform,confidence,collapse,
// quality_seconds (training_quality.hpp, collapse_watch.hpp; empty where not evaluated).
//
// step is the number of optimisation steps done at the end of the epoch; loss terms are the
// epoch's running means per example (VAE) or per iteration (GAN); test columns are empty for
// epochs without an evaluation (--eval-every); seconds is the epoch's training time and
// eval_seconds the time of its evaluation. Values are written with 9 significant digits (a
// float round-trips), so two runs can be compared exactly.
//
// The whole file is rewritten atomically after every epoch (it is small), so a crash never
// leaves a half-written row. On --resume, rows after the checkpoint's epoch (from an attempt
// that went further but was not checkpointed) are dropped.
#pragma once

#include <string>
#include <vector>

namespace latentlab::native {

class TrainingLog {
 public:
  TrainingLog(std::string path, std::vector<std::string> columns);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::string>& rows() const { return rows_; }

  // Reads an existing log (same header required) and keeps its rows of epochs ≤ last_epoch.
  // Returns false (and keeps nothing) when the file is missing or has another header.
  bool load_existing(int last_epoch);
  // Adds the rows of epochs ≤ last_epoch of the log at `path` (same header required; rows with
  // another number of values are skipped): a resumed run in a new directory carries over the
  // rows of its checkpoint's run. Returns false when that log is missing or has another header.
  bool carry_over(const std::string& path, int last_epoch);
  // Adds a row: one value per column, already formatted (empty for a missing value).
  void add_row(const std::vector<std::string>& values);
  // Writes header + rows atomically. Throws DataError on failure.
  void save() const;

  std::string header() const;

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::vector<std::string> rows_;
};

}  // namespace latentlab::native
