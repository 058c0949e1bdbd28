// Partition tables (partition_table.h): MBR with extended/logical chains and GPT with its
// CRCs and backup header, on a hostile disk image.
#include "core/partition/partition_table.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CAIRN_FUZZ_ACCEPT_ERRORS(cairn::ParsePartitionTable(cairn::fuzz::Input(data, size)));
  return 0;
}
