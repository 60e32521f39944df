/* SPDX-License-Identifier: MIT */
/*
 * pq_format: Parquet enum values and field ids shared by the writer and the
 * reader (parquet-format's parquet.thrift).  Internal to the Parquet module.
 */
#ifndef MLPROBE_PQ_FORMAT_H
#define MLPROBE_PQ_FORMAT_H

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet module assumes a little-endian host"
#endif

#define PQ_MAGIC "PAR1"

/* Type (physical) */
enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_INT96 = 3,
       PT_FLOAT = 4, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6, PT_FIXED = 7 };

/* FieldRepetitionType */
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };

/* ConvertedType (the few we read or write) */
enum { CT_UTF8 = 0, CT_TIMESTAMP_MILLIS = 9, CT_TIMESTAMP_MICROS = 10 };

/* Encoding */
enum { ENC_PLAIN = 0, ENC_PLAIN_DICTIONARY = 2, ENC_RLE = 3,
       ENC_BIT_PACKED = 4, ENC_DELTA_BINARY_PACKED = 5,
       ENC_DELTA_LENGTH_BYTE_ARRAY = 6, ENC_DELTA_BYTE_ARRAY = 7,
       ENC_RLE_DICTIONARY = 8, ENC_BYTE_STREAM_SPLIT = 9, ENC_MAX = 9 };

/* CompressionCodec */
enum { CODEC_UNCOMPRESSED = 0, CODEC_SNAPPY = 1, CODEC_GZIP = 2,
       CODEC_LZO = 3, CODEC_BROTLI = 4, CODEC_LZ4 = 5, CODEC_ZSTD = 6,
       CODEC_LZ4_RAW = 7 };

/* PageType */
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };

/* DELTA_BINARY_PACKED geometry used by the writer. */
#define PQ_DELTA_BLOCK 128
#define PQ_DELTA_MINIBLOCKS 4

#endif /* MLPROBE_PQ_FORMAT_H */
