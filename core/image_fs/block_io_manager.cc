#include "core/image_fs/block_io_manager.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace cairn {
namespace {

constexpr char kNamePrefix[] = "cairn-block-source:";

BlockIoTarget* TargetOf(io_channel channel) {
  return static_cast<BlockIoTarget*>(channel->private_data);
}

errcode_t Open(const char* name, int flags, io_channel* channel);

errcode_t Close(io_channel channel) {
  if (--channel->refcount > 0) return 0;
  ext2fs_free_mem(&channel->name);
  ext2fs_free_mem(&channel);
  return 0;
}

errcode_t SetBlockSize(io_channel channel, int block_size) {
  if (block_size <= 0) return EXT2_ET_INVALID_ARGUMENT;
  channel->block_size = block_size;
  return 0;
}

errcode_t Read64(io_channel channel, unsigned long long block, int count, void* data) {
  uint64_t bytes = count < 0 ? static_cast<uint64_t>(-static_cast<int64_t>(count))
                             : static_cast<uint64_t>(count) * static_cast<uint64_t>(channel->block_size);
  uint64_t offset = block * static_cast<uint64_t>(channel->block_size);
  BlockIoTarget* target = TargetOf(channel);
  auto* out = static_cast<uint8_t*>(data);
  try {
    if (block > target->source->size() / static_cast<uint64_t>(channel->block_size)) {
      std::memset(out, 0, bytes);
      return EXT2_ET_SHORT_READ;
    }
    size_t got = target->source->Read(offset, std::span<uint8_t>(out, bytes));
    if (got < bytes) {
      std::memset(out + got, 0, bytes - got);
      return EXT2_ET_SHORT_READ;
    }
    return 0;
  } catch (const Error& e) {
    if (!target->error) target->error = e;
    return EXT2_ET_SHORT_READ;
  } catch (const std::exception& e) {
    if (!target->error) target->error = Error(ErrorKind::kIo, e.what());
    return EXT2_ET_SHORT_READ;
  }
}

errcode_t Read32(io_channel channel, unsigned long block, int count, void* data) {
  return Read64(channel, block, count, data);
}
errcode_t Write32(io_channel, unsigned long, int, const void*) {
  return EXT2_ET_RO_FILSYS;
}
errcode_t Write64(io_channel, unsigned long long, int, const void*) {
  return EXT2_ET_RO_FILSYS;
}
errcode_t WriteByte(io_channel, unsigned long, int, const void*) {
  return EXT2_ET_RO_FILSYS;
}
errcode_t Flush(io_channel) {
  return 0;
}
errcode_t SetOption(io_channel, const char*, const char*) {
  return EXT2_ET_INVALID_ARGUMENT;
}

struct_io_manager MakeManager() {
  struct_io_manager m;
  std::memset(&m, 0, sizeof m);
  m.magic = EXT2_ET_MAGIC_IO_MANAGER;
  m.name = "cairn BlockSource I/O manager";
  m.open = Open;
  m.close = Close;
  m.set_blksize = SetBlockSize;
  m.read_blk = Read32;
  m.write_blk = Write32;
  m.flush = Flush;
  m.write_byte = WriteByte;
  m.set_option = SetOption;
  m.read_blk64 = Read64;
  m.write_blk64 = Write64;
  return m;
}

struct_io_manager manager = MakeManager();  // libext2fs wants a mutable pointer; never changed

errcode_t Open(const char* name, int flags, io_channel* channel) {
  if (flags & IO_FLAG_RW) return EXT2_ET_RO_FILSYS;
  void* address = nullptr;
  if (name == nullptr || std::strncmp(name, kNamePrefix, sizeof kNamePrefix - 1) != 0 ||
      std::sscanf(name + sizeof kNamePrefix - 1, "%p", &address) != 1 || address == nullptr) {
    return EXT2_ET_BAD_DEVICE_NAME;
  }
  io_channel io = nullptr;
  errcode_t rc = ext2fs_get_mem(sizeof(struct struct_io_channel), &io);
  if (rc) return rc;
  std::memset(io, 0, sizeof(struct struct_io_channel));
  rc = ext2fs_get_mem(std::strlen(name) + 1, &io->name);
  if (rc) {
    ext2fs_free_mem(&io);
    return rc;
  }
  std::strcpy(io->name, name);
  io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  io->manager = &manager;
  io->block_size = 1024;
  io->refcount = 1;
  io->flags = flags;
  io->private_data = address;
  *channel = io;
  return 0;
}

}  // namespace

io_manager BlockIoManager() {
  return &manager;
}

std::string BlockIoName(BlockIoTarget& target) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%p", kNamePrefix, static_cast<void*>(&target));
  return buf;
}

}  // namespace cairn
