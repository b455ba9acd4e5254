/** MAVLink FTP: the client (reads files off an autopilot) and the payload codec its server twin shares. */
export { FtpClient, toPath, type FtpClientOptions, type FtpClientStats, type FtpErrorCode, type FtpResult } from './ftp-client.js';
export {
  FTP_HEADER_LEN, FTP_MAX_DATA, FTP_PAYLOAD_LEN, FtpError, FtpOpcode, decodeFtp, encodeFtp, ftpErrorName, mavCrc32, pathData,
  u32Bytes, u32Data, type FtpPacket,
} from './ftp-payload.js';
