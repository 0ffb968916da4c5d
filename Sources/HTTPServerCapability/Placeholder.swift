public enum HTTPServerCapabilityPlaceholder {}
