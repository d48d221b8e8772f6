/**
 * ISO 14229-1 negative response codes (`0x7F <SID> <NRC>`), named as the standard names them.
 * 0x78 (responsePending) is not an error: the client waits P2* for the real answer.
 */
const NRC_NAMES: Readonly<Record<number, string>> = {
  16: 'generalReject',
  17: 'serviceNotSupported',
  18: 'subFunctionNotSupported',
  19: 'incorrectMessageLengthOrInvalidFormat',
  20: 'responseTooLong',
  33: 'busyRepeatRequest',
  34: 'conditionsNotCorrect',
  36: 'requestSequenceError',
  37: 'noResponseFromSubnetComponent',
  38: 'failurePreventsExecutionOfRequestedAction',
  49: 'requestOutOfRange',
  51: 'securityAccessDenied',
  52: 'authenticationRequired',
  53: 'invalidKey',
  54: 'exceededNumberOfAttempts',
  55: 'requiredTimeDelayNotExpired',
  56: 'secureDataTransmissionRequired',
  57: 'secureDataTransmissionNotAllowed',
  58: 'secureDataVerificationFailed',
  80: 'certificateVerificationFailedInvalidTimePeriod',
  81: 'certificateVerificationFailedInvalidSignature',
  82: 'certificateVerificationFailedInvalidChainOfTrust',
  83: 'certificateVerificationFailedInvalidType',
  84: 'certificateVerificationFailedInvalidFormat',
  85: 'certificateVerificationFailedInvalidContent',
  86: 'certificateVerificationFailedInvalidScope',
  87: 'certificateVerificationFailedInvalidCertificate',
  88: 'ownershipVerificationFailed',
  89: 'challengeCalculationFailed',
  90: 'settingAccessRightsFailed',
  91: 'sessionKeyCreationDerivationFailed',
  92: 'configurationDataUsageFailed',
  93: 'deAuthenticationFailed',
  112: 'uploadDownloadNotAccepted',
  113: 'transferDataSuspended',
  114: 'generalProgrammingFailure',
  115: 'wrongBlockSequenceCounter',
  120: 'requestCorrectlyReceivedResponsePending',
  126: 'subFunctionNotSupportedInActiveSession',
  127: 'serviceNotSupportedInActiveSession',
  129: 'rpmTooHigh',
  130: 'rpmTooLow',
  131: 'engineIsRunning',
  132: 'engineIsNotRunning',
  133: 'engineRunTimeTooLow',
  134: 'temperatureTooHigh',
  135: 'temperatureTooLow',
  136: 'vehicleSpeedTooHigh',
  137: 'vehicleSpeedTooLow',
  138: 'throttlePedalTooHigh',
  139: 'throttlePedalTooLow',
  140: 'transmissionRangeNotInNeutral',
  141: 'transmissionRangeNotInGear',
  143: 'brakeSwitchesNotClosed',
  144: 'shifterLeverNotInPark',
  145: 'torqueConverterClutchLocked',
  146: 'voltageTooHigh',
  147: 'voltageTooLow',
  148: 'resourceTemporarilyNotAvailable',
};

export const NRC = {
  generalReject: 0x10,
  serviceNotSupported: 0x11,
  subFunctionNotSupported: 0x12,
  incorrectMessageLengthOrInvalidFormat: 0x13,
  busyRepeatRequest: 0x21,
  conditionsNotCorrect: 0x22,
  requestSequenceError: 0x24,
  requestOutOfRange: 0x31,
  securityAccessDenied: 0x33,
  invalidKey: 0x35,
  exceededNumberOfAttempts: 0x36,
  requiredTimeDelayNotExpired: 0x37,
  uploadDownloadNotAccepted: 0x70,
  transferDataSuspended: 0x71,
  generalProgrammingFailure: 0x72,
  wrongBlockSequenceCounter: 0x73,
  responsePending: 0x78,
  subFunctionNotSupportedInActiveSession: 0x7e,
  serviceNotSupportedInActiveSession: 0x7f,
  resourceTemporarilyNotAvailable: 0x94,
} as const;

/** The ISO 14229-1 name of a negative response code. */
export function nrcName(code: number): string {
  const known = NRC_NAMES[code];
  if (known) return known;
  const hex = `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;
  if (code >= 0xf0 && code <= 0xfe) return `vehicleManufacturerSpecificConditionsNotCorrect(${hex})`;
  if (code >= 0x38 && code <= 0x4f) return `reservedByExtendedDataLinkSecurityDocument(${hex})`;
  return `ISOSAEReserved(${hex})`;
}

/** Every named code, for tests and documentation. */
export function knownNrcCodes(): number[] {
  return Object.keys(NRC_NAMES).map(Number);
}

const SERVICE_NAMES: Readonly<Record<number, string>> = {
  16: 'DiagnosticSessionControl',
  17: 'ECUReset',
  34: 'ReadDataByIdentifier',
  39: 'SecurityAccess',
  49: 'RoutineControl',
  52: 'RequestDownload',
  54: 'TransferData',
  55: 'RequestTransferExit',
  62: 'TesterPresent',
};

export function serviceName(sid: number): string {
  const hex = `0x${sid.toString(16).padStart(2, '0').toUpperCase()}`;
  const name = SERVICE_NAMES[sid];
  return name ? `${name} (${hex})` : `service ${hex}`;
}
