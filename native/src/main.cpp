// latentlab — train, sample, interpolate, reconstruct and inspect VAEs and GANs.
//
// Each subcommand lives in its cli_<name>.cpp. main() only parses and maps every failure to
// a message on stderr and an exit code: 2 for usage errors (bad or conflicting flags), 1 for
// runtime errors (missing data, corrupt weights, unwritable output, divergence). No exception
// escapes.
#include <cstdio>
#include <exception>
#include <new>
#include <vector>

#include "cli/common.hpp"
#include "cli/eval.hpp"
#include "cli/export.hpp"
#include "cli/info.hpp"
#include "cli/interpolate.hpp"
#include "cli/reconstruct.hpp"
#include "cli/sample.hpp"
#include "cli/train.hpp"
#include "output/file_io.hpp"
#include "train/distributed.hpp"

using namespace latentlab::native;

namespace {

int run_command_line(int argc, char** argv) {
  try {
    CLI::App app{"latentlab: variational autoencoders and GANs from first principles"};
    app.set_version_flag("--version", std::string("latentlab ") + latentlab_version());
    app.require_subcommand(1);
    app.footer(
        "Run `latentlab <command> --help` for the flags of a command.\n"
        "Exit codes: 0 success, 1 runtime error (data, files, divergence), 2 usage error.");

    const std::string command_line = join_command_line(argc, argv);
    std::vector<Command> commands{add_train_command(app, command_line), add_sample_command(app),
                                  add_interpolate_command(app), add_reconstruct_command(app), add_info_command(app),
                                  add_export_command(app), add_eval_command(app), add_compare_command(app)};

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // --help / --version exit 0; everything else is a usage error.
      const int code = app.exit(e);
      return code == 0 ? kExitSuccess : kExitUsageError;
    }

    for (const Command& command : commands) {
      if (!command.app->parsed()) continue;
      try {
        // Only training is data-parallel; any other command under mpirun -np N would run N times.
        if (distributed::size() > 1 && command.app->get_name() != "train")
          throw UsageError("only `latentlab train` runs over several MPI ranks; run this command without mpirun");
        return command.run();
      } catch (const UsageError& e) {
        std::fprintf(stderr, "latentlab %s: %s\nRun with --help for more information.\n", command.app->get_name().c_str(),
                     e.what());
        return kExitUsageError;
      } catch (const DataError& e) {
        std::fprintf(stderr, "latentlab %s: error: %s\n", command.app->get_name().c_str(), e.what());
        return kExitRuntimeError;
      } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "latentlab %s: error: out of memory\n", command.app->get_name().c_str());
        return kExitRuntimeError;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "latentlab %s: error: %s\n", command.app->get_name().c_str(), e.what());
        return kExitRuntimeError;
      }
    }
    std::fprintf(stderr, "latentlab: no command given (run latentlab --help)\n");
    return kExitUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latentlab: error: %s\n", e.what());
    return kExitRuntimeError;
  } catch (...) {
    std::fprintf(stderr, "latentlab: unexpected error\n");
    return kExitRuntimeError;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // Joins the MPI job when started by mpirun (docs/distributed.md); a no-op otherwise.
    distributed::Session session(argc, argv);
    return session.finish(run_command_line(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latentlab: error: %s\n", e.what());
    return kExitRuntimeError;
  }
}
